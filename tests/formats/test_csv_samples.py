"""CSV exports shared by the CSV reader tests (no tests here), written the way each system writes them."""

from __future__ import annotations

import csv
import io

from ledgerlink.formats.csvprofiles import load_profile

SELLER = {"seller_name": "Acme Widgets Ltd", "seller_vat_id": "GB980780684"}

SAGE50 = """\
Type,Account Ref,Nominal Code,Department,Date,Reference,Details,Net Amount,Tax Code,Tax Amount,Exchange Rate,Extra Ref,User Name,Project Ref,Cost Code
SI,BRO001,4000,0,15/03/2026,10234,Consultancy March,1250.00,T1,250.00,1.00,PO-4471,MANAGER,,
SI,BRO001,4010,0,15/03/2026,10234,Printed manuals,80.00,T0,0.00,1.00,PO-4471,MANAGER,,
SI,BRO001,4020,0,15/03/2026,10234,Training venue,33.33,T1,6.67,1.00,PO-4471,MANAGER,,
SR,BRO001,1200,0,16/03/2026,BACS,Sales Receipt,1620.00,T9,0.00,1.00,,MANAGER,,
SI,CAR002,4000,1,17/03/2026,10235,Support contract,99.99,T5,5.00,1.00,,MANAGER,PRJ7,LAB
SC,BRO001,4000,0,20/03/2026,CN0042,Overcharge March,100.00,T1,20.00,1.00,10234,MANAGER,,
"""

XERO_HEADER = load_profile("xero-sales-invoices").format.header
QUICKBOOKS_HEADER = load_profile("quickbooks-invoices").format.header
SAGE200_HEADER = load_profile("sage200-customer-transactions").format.header
GENERIC_HEADER = load_profile("generic").format.header


def table(header: tuple[str, ...] | list[str], rows: list[dict[str, str]], delimiter: str = ",") -> str:
    """A CSV text with ``header``; each row gives some columns, the rest are empty."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        unknown = set(row) - set(header)
        assert not unknown, unknown
        writer.writerow([row.get(h, "") for h in header])
    return out.getvalue()


def xero_rows() -> list[dict[str, str]]:
    invoice = {
        "ContactName": "Bright Ideas Ltd",
        "EmailAddress": "ap@brightideas.example",
        "POAddressLine1": "1 High St",
        "POCity": "Leeds",
        "POPostalCode": "LS1 4AP",
        "POCountry": "GB",
        "InvoiceNumber": "INV-0042",
        "Reference": "PO 9",
        "InvoiceDate": "02/04/2026",
        "DueDate": "02/05/2026",
        "Total": "312.00",
        "TaxTotal": "52.00",
        "InvoiceAmountPaid": "0.00",
        "InvoiceAmountDue": "312.00",
        "Currency": "GBP",
        "Type": "Sales invoice",
    }
    return [
        {
            **invoice,
            "Description": "Widget",
            "Quantity": "4",
            "UnitAmount": "50.00",
            "Discount": "",
            "LineAmount": "200.00",
            "AccountCode": "200",
            "TaxType": "20% (VAT on Income)",
            "TaxAmount": "40.00",
            "InventoryItemCode": "W-1",
        },
        {
            **invoice,
            "Description": "Gadget",
            "Quantity": "2",
            "UnitAmount": "40.00",
            "Discount": "25",
            "LineAmount": "60.00",
            "AccountCode": "200",
            "TaxType": "20% (VAT on Income)",
            "TaxAmount": "12.00",
        },
        {
            **invoice,
            "Description": "Delivery (zero rated)",
            "Quantity": "1",
            "UnitAmount": "0.00",
            "LineAmount": "0.00",
            "AccountCode": "260",
            "TaxType": "Zero Rated Income",
            "TaxAmount": "0.00",
        },
        {
            **invoice,
            "InvoiceNumber": "CN-0007",
            "InvoiceDate": "05/04/2026",
            "DueDate": "05/04/2026",
            "Total": "-60.00",
            "TaxTotal": "-10.00",
            "InvoiceAmountDue": "-60.00",
            "Type": "Sales credit note",
            "Description": "Returned widget",
            "Quantity": "-1",
            "UnitAmount": "50.00",
            "LineAmount": "-50.00",
            "AccountCode": "200",
            "TaxType": "20% (VAT on Income)",
            "TaxAmount": "-10.00",
        },
    ]


XERO = table(XERO_HEADER, xero_rows())

QUICKBOOKS = table(
    QUICKBOOKS_HEADER,
    [
        {
            "InvoiceNo": "1001",
            "Customer": "Sandbox Cafe",
            "InvoiceDate": "10/04/2026",
            "DueDate": "10/05/2026",
            "Terms": "Net 30",
            "Memo": "Thanks for your business",
            "Item(Product/Service)": "Hours",
            "ItemDescription": "Design work",
            "ItemQuantity": "3",
            "ItemRate": "1,200.00",
            "ItemAmount": "3,600.00",
            "ItemTaxCode": "20.0% S",
            "ItemTaxAmount": "720.00",
            "Currency": "GBP",
        },
        {
            "InvoiceNo": "1001",
            "Customer": "Sandbox Cafe",
            "InvoiceDate": "10/04/2026",
            "DueDate": "10/05/2026",
            "Terms": "Net 30",
            "Memo": "Thanks for your business",
            "Item(Product/Service)": "Books",
            "ItemDescription": "Style guide",
            "ItemQuantity": "1",
            "ItemRate": "15.00",
            "ItemAmount": "15.00",
            "ItemTaxCode": "0.0% Z",
            "ItemTaxAmount": "0.00",
            "Currency": "GBP",
        },
        {
            "InvoiceNo": "1002",
            "Customer": "Sandbox Cafe",
            "InvoiceDate": "11/04/2026",
            "DueDate": "11/04/2026",
            "Item(Product/Service)": "Hours",
            "ItemDescription": "Refund for unused hours",
            "ItemQuantity": "1",
            "ItemRate": "-120.00",
            "ItemAmount": "-120.00",
            "ItemTaxCode": "20.0% S",
            "ItemTaxAmount": "-24.00",
            "Currency": "GBP",
        },
    ],
)

SAGE200 = table(
    SAGE200_HEADER,
    [
        {
            "Account Number": "ABB001",
            "Account Name": "Abbey Retail plc",
            "Transaction Type": "Invoice",
            "Transaction Date": "01/04/2026",
            "Due Date": "01/05/2026",
            "Reference": "SIN0001",
            "Second Reference": "April service",
            "Goods Value": "1,000.00",
            "Tax Value": "200.00",
            "Gross Value": "1,200.00",
            "Outstanding Value": "1,200.00",
            "Currency": "GBP",
            "Exchange Rate": "1",
            "Tax Code": "1",
        },
        {
            "Account Number": "ABB001",
            "Account Name": "Abbey Retail plc",
            "Transaction Type": "Receipt",
            "Transaction Date": "03/04/2026",
            "Reference": "REC1",
            "Goods Value": "-500.00",
            "Gross Value": "-500.00",
            "Currency": "GBP",
            "Tax Code": "9",
        },
        {
            "Account Number": "ABB001",
            "Account Name": "Abbey Retail plc",
            "Transaction Type": "Credit Note",
            "Transaction Date": "04/04/2026",
            "Due Date": "04/04/2026",
            "Reference": "SCN0001",
            "Goods Value": "-50.00",
            "Tax Value": "-10.00",
            "Gross Value": "-60.00",
            "Outstanding Value": "-60.00",
            "Currency": "GBP",
            "Exchange Rate": "1",
            "Tax Code": "1",
        },
    ],
)

GENERIC = table(
    (*GENERIC_HEADER, "SellerName", "SellerVatId", "SellerCountry", "BuyerCountry", "DueDate", "VatCategory"),
    [
        {
            "InvoiceNumber": "G-1",
            "DocumentType": "invoice",
            "IssueDate": "2026-05-01",
            "DueDate": "2026-05-31",
            "Currency": "EUR",
            "BuyerName": "Käufer GmbH",
            "BuyerCountry": "DE",
            "SellerName": "Verkäufer AG",
            "SellerVatId": "DE123456789",
            "SellerCountry": "DE",
            "LineDescription": "Beratung",
            "Quantity": "2.5",
            "UnitPrice": "80",
            "LineNetAmount": "200.00",
            "VatRate": "19",
            "VatCategory": "S",
        },
        {
            "InvoiceNumber": "G-1",
            "DocumentType": "invoice",
            "IssueDate": "2026-05-01",
            "DueDate": "2026-05-31",
            "Currency": "EUR",
            "BuyerName": "Käufer GmbH",
            "BuyerCountry": "DE",
            "SellerName": "Verkäufer AG",
            "SellerVatId": "DE123456789",
            "SellerCountry": "DE",
            "LineDescription": "Fachbuch",
            "Quantity": "1",
            "UnitPrice": "30.00",
            "LineNetAmount": "30.00",
            "VatRate": "7%",
            "VatCategory": "",
        },
    ],
)
